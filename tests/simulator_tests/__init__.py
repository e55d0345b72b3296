"""Tests of the BMW CarData simulator itself."""
