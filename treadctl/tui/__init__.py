"""The terminal UI (Textual): the live session screen, the start screen and the profile editor.

The UI renders the session's ``SessionView`` and forwards keys to the supervisor as ``Request``s;
it holds no timing logic of its own (countdowns are computed from the session clock).
Importing this package does not import Textual; import the submodules you need.
"""
