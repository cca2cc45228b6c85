"""The voice coach: spoken cues for a walker who faces away from every screen.

``words`` turns numbers, speeds and durations into speech; ``coach`` decides which cue each
session event deserves (pure); ``engines`` builds the speech program's command line; ``speaker``
speaks off the event loop; ``attach`` wires them to a session's event bus.
"""
