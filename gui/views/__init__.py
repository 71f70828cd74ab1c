"""One module per step of the main window; each renders core objects and calls ``AppState``."""
