"""Tables generated from BMW's reference data; see scripts/generate_catalogue.py."""
