"""Allocation of scarce care places (issue 8).

`zorgbrug.allocation.core` is the pure part: plain data in, plain data out, no Django. The
booking engine, the coordinator pages and the API build on it; they live next to it and
translate between the ORM and the core's dataclasses.
"""
