"""Spatial layers and access analysis for cultural planning in Coquimbo's Parte Alta.

No web code lives here: the web map (``webmap``) and the reports only call this package.
"""

METRIC_CRS = "EPSG:32719"  # UTM 19S: every distance and area is measured here
WEB_CRS = "EPSG:4326"  # what the files hold and what the web is served
