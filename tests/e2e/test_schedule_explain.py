"""`spillway schedule explain` end to end: the real binary reads a what-if
input from a file or stdin and prints the placement the fleet scheduler would
compute, as JSON; bad input is one clear line naming the JSON path, exit 1;
bad usage exits 2."""
import json

from conftest import run

SEED_PLACEMENT = {
    "clusterAffinities": [
        {"affinityName": "high-priority", "clusterNames": ["cluster1"]},
        {"affinityName": "low-priority", "clusterNames": ["cluster2"]},
    ],
    "replicaScheduling": {
        "replicaSchedulingType": "Divided",
        "replicaDivisionPreference": "Weighted",
        "weightPreference": {"dynamicWeight": "AvailableReplicas"},
    },
}


def explain(doc, *extra, check=True):
    return run("schedule", "explain", "-f", "-", *extra, input=json.dumps(doc), check=check)


def seed_input(replicas, previous, provisionable=0):
    return {
        "placement": SEED_PLACEMENT,
        "replicas": replicas,
        "clusters": [
            {"name": "cluster1", "labels": {"priority": "high"}, "ready": True, "availableReplicas": 1,
             "provisionableReplicas": 0},
            {"name": "cluster2", "ready": True, "availableReplicas": 1, "provisionableReplicas": provisionable},
        ],
        "previous": previous,
    }


def test_first_seed_sequence_from_stdin():
    out = json.loads(explain(seed_input(1, {})).stdout)
    assert out == {"clusters": {"cluster1": 1}, "tier": "high-priority", "unscheduled": 0,
                   "reason": "1 replica placed in tier high-priority"}

    out = json.loads(explain(seed_input(2, {"cluster1": 1})).stdout)
    assert out["clusters"] == {"cluster1": 1, "cluster2": 1}
    assert out["tier"] == "low-priority"
    assert out["unscheduled"] == 0

    out = json.loads(explain(seed_input(3, {"cluster1": 1, "cluster2": 1}, provisionable=1)).stdout)
    assert out["clusters"] == {"cluster1": 1, "cluster2": 2}

    out = json.loads(explain(seed_input(3, {"cluster1": 1, "cluster2": 1})).stdout)
    assert out["clusters"] == {"cluster1": 1, "cluster2": 1}
    assert out["unscheduled"] == 1
    assert "1 of 3 replicas fit in no cluster" in out["reason"]

    out = json.loads(explain(seed_input(1, {"cluster1": 1, "cluster2": 2}, provisionable=1)).stdout)
    assert out["clusters"] == {"cluster1": 1}
    assert out["tier"] == "high-priority"


def test_input_from_a_file(tmp_path):
    f = tmp_path / "in.json"
    doc = seed_input(2, {})
    doc["clusters"][0]["ready"] = False
    f.write_text(json.dumps(doc))
    p = run("schedule", "explain", "-f", str(f))
    out = json.loads(p.stdout)
    assert out["clusters"] == {"cluster2": 1}
    assert out["unscheduled"] == 1
    assert out["tier"] == "low-priority"


def test_output_keys_are_the_documented_interface():
    out = json.loads(explain(seed_input(0, {"cluster1": 1})).stdout)
    assert list(out) == ["clusters", "tier", "unscheduled", "reason"]
    assert out == {"clusters": {}, "tier": None, "unscheduled": 0, "reason": "no replicas wanted"}


def test_errors_name_the_json_path():
    doc = seed_input(2, {})
    doc["clusters"][1]["availableReplicas"] = "three"
    p = explain(doc, check=False)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.strip() == ("spillway schedule explain: <stdin>: clusters[1].availableReplicas: "
                                "expected an integer >= 0, got a string")

    p = run("schedule", "explain", "-f", "-", input='{"replicas": 1,', check=False)
    assert p.returncode == 1
    assert p.stderr.startswith("spillway schedule explain: <stdin>:1:")

    doc = seed_input(1, {})
    doc["placement"]["replicaScheduling"]["replicaDivisionPreference"] = "Evenly"
    p = explain(doc, check=False)
    assert p.returncode == 1
    assert "placement.replicaScheduling.replicaDivisionPreference: expected Aggregated or Weighted, got \"Evenly\"" \
        in p.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run("schedule", check=False).returncode == 2
    p = run("schedule", "plan", check=False)
    assert p.returncode == 2 and 'unknown subcommand "plan"' in p.stderr
    p = run("schedule", "explain", check=False)
    assert p.returncode == 2 and "-f INPUT.json" in p.stderr
    p = run("schedule", "explain", "-f", str(tmp_path / "missing.json"), check=False)
    assert p.returncode == 1 and "missing.json" in p.stderr
