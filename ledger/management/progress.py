"""Progress bars for the management commands: tqdm on stderr when it is a terminal, silent otherwise (pipes, CI,
tests), so output stays clean wherever it is captured."""

import io
import sys

from tqdm import tqdm


def progress_bar(*, total: int | None, unit: str, desc: str) -> tqdm:
    byte_units = unit == "B"
    return tqdm(
        total=total,
        unit=unit,
        unit_scale=byte_units,
        unit_divisor=1024 if byte_units else 1000,
        desc=desc,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
    )


class ProgressReader(io.RawIOBase):
    """A binary file that advances a progress bar by every byte read through it."""

    def __init__(self, raw: io.BufferedIOBase, bar: tqdm) -> None:
        self._raw, self._bar = raw, bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self._bar.update(count)
        return count
