"""The query layer: plain functions (no streamlit) that pages, exports and the CLI call.

Every function takes the warehouse connection (or a StatusBook built from it) and returns plain data:
dataclasses and DataFrames named for what they hold. Parameters are bound; unit scoping for accounts that
may see only their own unit is applied here (Scope), never in widgets.
"""
