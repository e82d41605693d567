"""One NOC question per lab scenario, shared by the offline benchmarks: each drives a different mix
of tools (config audits, OSPF tables, logs, counters, QoS), so a run is the mix a NOC channel
sends, not one hot path."""

LAB_QUESTIONS = {
    "healthy": "is anything wrong with the network?",
    "bgp-peer-down": "branch users say they can't reach HQ, what's going on?",
    "ospf-stuck-exstart": "is routing healthy in the campus?",
    "wan-congestion": "why is the branch office slow?",
    "interface-errors": "users complain about packet loss, what is wrong?",
    "high-cpu": "why is the internet edge sluggish?",
    "insecure-mgmt": "are our devices secure?",
    "device-unreachable": "what's wrong at the branch?",
    "vty-brute-force": "is someone trying to log in to our routers?",
}
