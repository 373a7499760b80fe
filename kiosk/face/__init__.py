"""The face attempt: camera feeds, the vision worker link, and its results as flow events."""
