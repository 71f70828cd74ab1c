"""The command line: a face beside ``gui/``, as thin. It parses, calls core, renders text or
JSON; every decision it shows lives in ``core/`` (the window calls the same functions)."""
