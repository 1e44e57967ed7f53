"""The planner workspace: sign-in, the editable venue inventory, its history, on a database.

Why a database: the Department of Culture keeps its venues current in the browser, several
planners at once, with history and roles; files edited by hand cannot do that. The shipped
GeoJSON/CSV files seed the database on first start; from then on the database is the
source of truth for the venues, the workshops and the places still to locate, and the
:class:`geo.study.Study` of the map reads them from it (``inventory_layers``).

Modules: ``db`` (engine, migrations), ``models``, ``seed``, ``frames`` (rows -> layers),
``edits`` (changes with history and optimistic locking), ``auth`` (accounts, passwords),
``web`` (Flask wiring), ``views`` (pages and JSON), ``forms``, ``refresh`` (rebuild the map
after an edit), ``cli`` (``culturamap users``).
"""
