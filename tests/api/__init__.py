"""Tests of the CarData client layer (``custom_components.cardata.api``)."""
