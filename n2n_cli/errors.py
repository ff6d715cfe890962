"""The one exception type for user mistakes: the CLI prints its message on one line and exits with code 1."""


class UserError(Exception):
    """Bad input from the user (a file, a folder, an option): the message names it and says what is wrong."""
