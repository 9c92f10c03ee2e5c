"""The ``agentid`` command line: thin front-ends over the registry, rules, plan, review and detections."""
