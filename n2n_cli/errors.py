"""The one-line error types: the CLI prints their message on one line and exits with code 1. Each message names
the file or the option that is wrong and says what is wrong with it."""


class UserError(Exception):
    """Bad input from the user (a file, a folder, an option): the message names it and says what is wrong."""


class DataError(UserError):
    """A data file or folder that cannot be used."""


class ImageError(UserError):
    """A file that cannot be read or written as an image."""


class CheckpointError(UserError):
    """A model file that cannot be used."""
