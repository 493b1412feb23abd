"""CF Lab's dashboard package: the Streamlit page is ``app.py``; this package holds its parts.

``state`` names every ``st.session_state`` and widget key, ``data`` turns samples, blank grids and uploads
into ``Ratings``, ``grid`` is the ratings editor, ``training`` handles the Train press and runs, queues and
caches fits, ``figures`` holds the pure figure builders (by what they draw), ``views`` has one module per
results tab and ``teaching`` one module per Teaching topic. Nothing here does model math: that is
``cf_core``'s job.
"""
