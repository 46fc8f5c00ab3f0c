"""A dataset whose labels the SDK uploads without fitting its catalog, and reading it back.

The test (tests/sdk/test_sdk_catalog.py) runs the `gas` side. `LABELS` is JSON:
{remotePath: label or null}, uploaded into segment `train` (each file holds its path);
`CATALOG` is the catalog's JSON.
"""

from __future__ import annotations

import json
import os

from tensorbay import GAS
from tensorbay.dataset import Data, Dataset
from tensorbay.label import Catalog, Label


def upload(gas: GAS, gas_other: GAS) -> None:
    """Dataset `DATASET`: the catalog, then `LABELS`' items, uploaded and committed."""
    folder = os.environ["WORKDIR"]
    catalog = os.path.join(folder, "catalog.json")
    with open(catalog, "w", encoding="utf-8") as handle:
        handle.write(os.environ["CATALOG"])
    local = Dataset(os.environ["DATASET"])
    local.load_catalog(catalog)
    segment = local.create_segment("train")
    for path, label in json.loads(os.environ["LABELS"]).items():
        file = os.path.join(folder, path)
        with open(file, "w", encoding="utf-8") as handle:
            handle.write(path)
        data = Data(file, target_remote_path=path)
        if label:
            data.label = Label.loads(label)
        segment.append(data)
    gas.create_dataset(os.environ["DATASET"])
    client = gas.upload_dataset(local, jobs=1, quiet=True)
    client.commit("from the sdk")


def read(gas: GAS, gas_other: GAS) -> None:
    """The dataset's labels are `LABELS`, its catalog `CATALOG`, as the SDK loads them."""
    dataset = Dataset(os.environ["DATASET"], gas)
    found = {data.path: data.label.dumps() or None for data in dataset["train"]}
    expected = {path: Label.loads(label).dumps() if label else None
                for path, label in json.loads(os.environ["LABELS"]).items()}
    assert found == expected, (found, expected)
    catalog = Catalog.loads(json.loads(os.environ["CATALOG"])).dumps()
    assert dataset.catalog.dumps() == catalog, (dataset.catalog.dumps(), catalog)
