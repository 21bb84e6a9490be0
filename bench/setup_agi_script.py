"""Way (a) of the call setup benchmark: the process-per-call AGI script a pyst2 user writes.

Asterisk runs it as ``AGI(/path/to/script)``: it forks, the kernel starts a Python
interpreter from the shebang, pyst2 reads the AGI environment from stdin and every command
is a line on stdout and a reply on stdin. bench/setup_dialplan.py copies this file into
the rig's Asterisk folders with the shebang of an interpreter Asterisk's user may run.
The commands are the same, in the same order, as bench/setup_handlers.py sends.
"""

from asterisk.agi import AGI

PROMPT = "beep"  # a short prompt the rig builds (0.4 s)


def main() -> None:
    agi = AGI()
    agi.answer()
    token = agi.get_variable("BENCH_TOKEN")
    agi.stream_file(PROMPT)
    agi.verbose(f"bench setup {token}")
    agi.set_variable("BENCH_OK", token)


if __name__ == "__main__":
    main()
