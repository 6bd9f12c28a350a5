"""One error family; each message tells the user what to do next."""


class ArchiveError(Exception):
    """Base class: the CLI and the web layer turn these into plain messages."""


class InputError(ArchiveError):
    """A file cannot be imported (empty, binary, undecodable, unreadable)."""


class NotFound(ArchiveError):
    """A report, copy or passage id that the archive does not hold."""


class Busy(ArchiveError):
    """Another process is writing to the same data directory."""


class UsageProblem(ArchiveError):
    """What the user asked cannot be done as asked (a bad query, an unknown filter): exit code 2, not 1."""
