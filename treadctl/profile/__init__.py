"""Workout profiles: the TOML format, its models, loading, editing, the library and programs.

Import from the submodules (``treadctl.profile.loading`` etc.); this package module stays empty
so that light modules (the plan, the config) can use its small pieces without loading the rest.
"""
