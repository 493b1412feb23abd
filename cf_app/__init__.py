"""CF Lab's dashboard package: the Streamlit page is ``app.py``; this package holds its parts.

``state`` owns every ``st.session_state`` key, ``data`` turns samples, blank grids and uploads into
``Ratings``, ``grid`` is the ratings editor, ``training`` runs and caches fits, ``figures`` holds the pure
figure builders, and ``views`` has one module per results tab. Nothing here does model math: that is
``cf_core``'s job.
"""
