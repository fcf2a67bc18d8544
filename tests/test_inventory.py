"""Inventory as code: valid files load, broken files are reported and skipped, the rest loads."""

from __future__ import annotations

from datetime import date

from seamwatch.inventory import Lifecycle, Pattern, load_inventory


def load(workspace):
    return load_inventory(["inventory/*.toml"], workspace.root)


def test_valid_inventory_loads_with_defaults_applied(workspace):
    inventory = load(workspace)
    assert not inventory.errors
    crm = inventory.get("crm-orders-to-erp")
    assert crm is not None
    assert crm.owner == "payments"  # from [defaults]
    assert crm.pattern is Pattern.SYNC_API
    assert crm.lifecycle is Lifecycle.ACTIVE
    assert crm.slo.latency_p95_ms == 800
    assert crm.review_due() == date(2026, 11, 1) + crm.review_cadence


def test_broken_file_is_reported_and_the_rest_loads(workspace):
    path = workspace.write(
        "inventory/broken.toml",
        """
        [[integration]]
        id = "bad-one"
        name = "Bad"
        source_system = "A"
        target_system = "B"
        pattern = "carrier-pigeon"
        tier = 2
        """,
    )
    inventory = load(workspace)
    assert "crm-orders-to-erp" in inventory and "bad-one" not in inventory
    (error,) = inventory.errors
    message = str(error)
    assert str(path) in message and "integration[0].pattern" in message
    assert "'carrier-pigeon'" in message and ":6:" in message


def test_duplicate_id_across_files_names_both(workspace):
    path = workspace.write(
        "inventory/zz-other.toml",
        """
        [[integration]]
        id = "crm-orders-to-erp"
        name = "Copy"
        source_system = "A"
        target_system = "B"
        pattern = "batch"
        tier = 3
        """,
    )
    inventory = load(workspace)
    (error,) = inventory.errors
    assert "duplicate integration id 'crm-orders-to-erp'" in str(error)
    assert str(path) in str(error) and "payments.toml" in str(error)
    assert inventory.get("crm-orders-to-erp").name == "CRM orders to ERP"


def test_unknown_metric_in_collect_is_named(workspace):
    workspace.write(
        "inventory/payments.toml",
        """
        [[integration]]
        id = "x"
        name = "X"
        owner = "t"
        source_system = "A"
        target_system = "B"
        pattern = "batch"
        tier = 3
        collect = { latency_p42_ms = "demo" }
        """,
    )
    (error,) = load(workspace).errors
    assert "integration[0].collect" in str(error) and "latency_p42_ms" in str(error)


def test_missing_required_key_and_bad_slug(workspace):
    workspace.write(
        "inventory/payments.toml",
        """
        [[integration]]
        id = "Not A Slug"
        name = "X"
        source_system = "A"
        target_system = "B"
        pattern = "batch"
        tier = 3
        """,
    )
    (error,) = load(workspace).errors
    assert "integration[0].id" in str(error) and "is not a slug" in str(error)


def test_deprecated_needs_a_sunset_and_review_overdue(workspace):
    workspace.write(
        "inventory/payments.toml",
        """
        [[integration]]
        id = "old"
        name = "Old"
        source_system = "A"
        target_system = "B"
        pattern = "file"
        tier = 4
        lifecycle = "deprecated"
        """,
    )
    (error,) = load(workspace).errors
    assert "needs a sunset date" in str(error)


def test_glob_matching_nothing_is_reported(tmp_path):
    inventory = load_inventory(["nowhere/*.toml"], tmp_path)
    assert len(inventory) == 0
    assert "matches no file" in str(inventory.errors[0])


def test_a_bad_default_is_reported_once_at_its_line_in_defaults(workspace):
    path = workspace.write(
        "inventory/bad.toml",
        """
        [defaults]
        ownr = "x"
        review_cadence = "fortnightly"

        [[integration]]
        id = "one"
        name = "One"
        source_system = "A"
        target_system = "B"
        pattern = "event"
        tier = 2

        [[integration]]
        id = "two"
        name = "Two"
        source_system = "A"
        target_system = "B"
        pattern = "event"
        tier = 9
        review_cadence = "1w"
        """,
    )
    inventory = load(workspace)
    assert [str(e) for e in sorted(inventory.errors, key=lambda e: e.line)] == [
        f"{path}:2: defaults.ownr: unknown key",
        f"{path}:3: defaults.review_cadence: 'fortnightly' is not a duration "
        '(write e.g. "30s", "5m", "1h30m", "7d", "2w")',
        f"{path}:19: integration[1].tier: 9: input should be less than or equal to 4",
    ]
    assert "one" not in inventory and "crm-orders-to-erp" in inventory
