"""The embedded broker writes each message whole before a worker can read it: a worker listing the queue
while a message is being written once read it empty and stopped for good (JSONDecodeError)."""

import queue

import pytest
from kombu import Connection

from ooh import broker


@pytest.fixture
def channel(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False}
    with Connection("filesystem://", transport_options=options) as connection:
        yield connection.default_channel, folder


def test_filesystem_urls_use_the_whole_message_transport(channel):
    ch, _folder = channel
    assert isinstance(ch, broker.Channel)


def test_a_message_being_written_is_never_read(channel):
    ch, folder = channel
    # What a writer leaves mid-write: the final name does not exist yet, only the part file.
    (folder / "123_abc.escalations.msg.part").write_bytes(b"")
    with pytest.raises(queue.Empty):
        ch._get("escalations")
    ch._put("escalations", {"body": "whole"})
    assert [p.name.endswith(".part") for p in folder.iterdir()].count(False) == 1
    assert ch._get("escalations") == {"body": "whole"}


def test_the_rename_is_the_last_step(channel, monkeypatch):
    """Until the rename, the queue holds no file a worker would take."""
    ch, folder = channel
    seen = []
    real = broker.os.replace

    def replace(src, dst):
        seen.append(sorted(p.name for p in folder.iterdir()))
        real(src, dst)

    monkeypatch.setattr(broker.os, "replace", replace)
    ch._put("escalations", {"n": 1})
    [before] = seen
    assert all(name.endswith(".part") for name in before)
    assert ch._get("escalations") == {"n": 1}
