"""placeholder"""


def add_parser(subparsers, common):
    pass
