"""Delinquency: days past due, buckets, five-category classification, provisioning."""
