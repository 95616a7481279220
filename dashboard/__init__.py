"""The dashboard's layers below the pages: queries (no streamlit), shared UI pieces and the theme."""
