"""struct stat as each ISA lays it out: StatLayout.pack puts the named fields in order and zeros in the padding."""
from __future__ import annotations

import struct

import pytest

from pynix.arch import all_arches


@pytest.mark.parametrize("arch", all_arches(), ids=lambda a: a.name)
def test_pack_is_the_fields_in_order_with_zero_padding(arch):
    layout = arch.stat_layout
    values = {name: 1000 * i + 7 for i, name in enumerate(f for f in layout.fields if f)}
    values["atime"] = -5                                   # times are signed: before 1970
    expected = struct.pack(layout.fmt, *(values[f] if f else 0 for f in layout.fields))
    assert layout.pack(values) == expected and len(expected) == layout.size
    with pytest.raises(KeyError):
        layout.pack({k: v for k, v in values.items() if k != "ino"})
