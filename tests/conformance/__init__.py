"""Tests of the conformance suite itself: its result model's reports, its scenarios, its runner."""
