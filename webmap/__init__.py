"""The web side: Flask app, folium maps, templates, translations and reports."""
