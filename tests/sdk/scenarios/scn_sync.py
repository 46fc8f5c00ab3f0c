"""What `gas push` wrote, read back with the SDK; and data the SDK uploads, for `gas clone`.

The test (tests/sdk/test_sdk_sync.py) runs the `gas` side; these functions only speak SDK.
`EXPECTED` is JSON: {segment: {remotePath: [content, label or null]}}.
"""

from __future__ import annotations

import json
import os

from common import contents as _contents
from tensorbay import GAS
from tensorbay.dataset import Data, Dataset
from tensorbay.label import Label


def read_pushed(gas: GAS, gas_other: GAS) -> None:
    """The dataset `DATASET`, as `gas push` left it, holds exactly `EXPECTED`."""
    expected = json.loads(os.environ["EXPECTED"])
    dataset = Dataset(os.environ["DATASET"], gas)
    assert sorted(dataset.keys()) == sorted(expected)
    for name, items in expected.items():
        found = {}
        for data in dataset[name]:
            label = data.label.dumps() or None
            found[data.path] = [_contents(data).decode(), label]
        assert found == items, (found, items)
    commits = gas.get_dataset(os.environ["DATASET"]).list_commits()
    assert [commit.title for commit in commits] == json.loads(os.environ["TITLES"])


def upload_for_clone(gas: GAS, gas_other: GAS) -> None:
    """Dataset `DATASET` with `EXPECTED`'s items, uploaded and committed by the SDK."""
    expected = json.loads(os.environ["EXPECTED"])
    local = Dataset(os.environ["DATASET"])
    folder = os.environ["WORKDIR"]
    for name, items in expected.items():
        segment = local.create_segment(name)
        for path, (content, label) in items.items():
            file = os.path.join(folder, name, path)
            os.makedirs(os.path.dirname(file), exist_ok=True)
            with open(file, "w", encoding="utf-8") as handle:
                handle.write(content)
            data = Data(file, target_remote_path=path)
            if label:
                data.label = Label.loads(label)
            segment.append(data)
    gas.create_dataset(os.environ["DATASET"])
    client = gas.upload_dataset(local, jobs=2, quiet=True)
    client.commit("from the sdk")
