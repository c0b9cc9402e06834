"""Both seeds end to end through `spillway up`, time-scaled: the walkthroughs'
commands, checking the outcomes the seeds state (see walkthrough.py)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import walkthrough  # noqa: E402


@pytest.fixture
def fleet(request):
    f = walkthrough.Fleet(*request.param)
    yield f
    f.stop()


@pytest.mark.parametrize("fleet", [(10, "seed1")], indirect=True)
def test_seed1_priority_spill_provisioning_and_fhpa(fleet):
    r = walkthrough.seed1(fleet)
    assert r["codes"] == {200: 600}
    assert r["started_on_elastic"], r


@pytest.mark.parametrize("fleet", [(20, "none")], indirect=True)
def test_seed2_burst_to_cloud(fleet):
    r = walkthrough.seed2(fleet)
    assert set(r["codes"]) == {200}
