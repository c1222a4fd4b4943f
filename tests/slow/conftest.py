from __future__ import annotations

import pytest

from babelscope import load_model
from babelscope.models.handle import ModelHandle


@pytest.fixture(scope="session")
def smollm2() -> ModelHandle:
    return load_model("smollm2-135m", progress=False)


@pytest.fixture(scope="session")
def gemma() -> ModelHandle:
    return load_model("gemma-3-270m", progress=False)


@pytest.fixture(scope="session", params=["smollm2", "gemma"])
def bundled(request: pytest.FixtureRequest) -> ModelHandle:
    handle: ModelHandle = request.getfixturevalue(request.param)
    return handle
