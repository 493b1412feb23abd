"""CF Lab: the Streamlit dashboard (placeholder until the dashboard issue lands)."""

import streamlit as st

st.set_page_config(page_title="CF Lab", layout="wide")
st.title("CF Lab")
st.write("Collaborative filtering you can see. The dashboard is being built.")
