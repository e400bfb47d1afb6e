"""Prometheus metrics, one registry per app so several apps (tests) never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from api.memory import MemoryCollector


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # process_resident_memory_bytes, CPU seconds, open fds; and where the memory is (api.memory).
        ProcessCollector(registry=self.registry)
        self.memory = MemoryCollector()
        self.registry.register(self.memory)
        self.requests = Counter(
            "saksi_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "saksi_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.events_accepted = Counter("saksi_events_accepted", "Events appended to the log", registry=self.registry)
        self.events_duplicate = Counter(
            "saksi_events_duplicate", "Identical resubmissions answered", registry=self.registry
        )
        self.events_refused = Counter(
            "saksi_events_refused", "Events refused, by reason", ["reason"], registry=self.registry
        )
        self.tree_size = Gauge("saksi_tree_size", "Leaves in the log", registry=self.registry)
        self.anchored_size = Gauge(
            "saksi_anchored_tree_size", "Largest tree size anchored on chain", registry=self.registry
        )
        self.anchor_lag_leaves = Gauge("saksi_anchor_lag_leaves", "Leaves not yet anchored", registry=self.registry)
        self.anchor_lag_seconds = Gauge(
            "saksi_anchor_lag_seconds", "Age of the oldest unanchored leaf", registry=self.registry
        )
        self.anchor_gas = Counter("saksi_anchor_gas_used", "Gas spent on anchor transactions", registry=self.registry)
        self.chain_available = Gauge(
            "saksi_chain_available", "1 when the last chain call succeeded", registry=self.registry
        )
        self.anchor_failures = Gauge(
            "saksi_anchor_consecutive_failures", "Anchoring attempts failed in a row", registry=self.registry
        )
        self.witnessed_size = Gauge(
            "saksi_witnessed_tree_size",
            "Largest checkpoint whose cosignatures meet the witness policy's quorum",
            registry=self.registry,
        )
        self.witness_lag_leaves = Gauge(
            "saksi_witness_lag_leaves", "Leaves of the newest checkpoint not yet witnessed", registry=self.registry
        )
        self.witness_lag_seconds = Gauge(
            "saksi_witness_lag_seconds",
            "Age of the newest checkpoint while it is not witnessed",
            registry=self.registry,
        )
        self.witness_cosigned_size = Gauge(
            "saksi_witness_cosigned_tree_size",
            "Largest checkpoint each witness has cosigned",
            ["witness"],
            registry=self.registry,
        )
        self.witness_failures = Gauge(
            "saksi_witness_consecutive_failures",
            "Failed add-checkpoint requests in a row, per witness",
            ["witness"],
            registry=self.registry,
        )
