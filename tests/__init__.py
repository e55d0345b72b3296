"""Tests of the BMW CarData integration."""
