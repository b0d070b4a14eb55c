"""awsproxy: a strict, measurable proxy in front of moto's server.

Every request is checked (SigV4, botocore service model), may be delayed or
failed on purpose (faults), is counted (stats) and is then forwarded to moto
unchanged; moto's answer comes back with a few cheap corrections (CloudFront
ETags, pending states of slow resources).  Test tooling only.
"""
