"""Errors that reach users: each carries a one-line message meant to be printed as is."""


class AfterburnerError(Exception):
    """Base class: the CLI prints ``str(error)`` and exits non-zero, without a traceback."""


class UnknownLanguageError(AfterburnerError):
    """No installed plugin provides the language (the message names the distribution to install)."""


class PluginConflictError(AfterburnerError):
    """Two plugins give the same name (a language key or alias, a backend, reward, dataset or
    generator name): the message names both, with their distributions."""


class ToolchainMissingError(AfterburnerError):
    """The plugin is installed but its toolchain is not on this host."""


class SandboxError(AfterburnerError):
    """The sandbox itself failed (not the program): supervisor build, cgroup set-up, spawn."""


class DatasetError(AfterburnerError):
    """A dataset or problem could not be found or is malformed."""
