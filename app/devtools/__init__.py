"""Tools for development, tests and the demo: fakes of the outside services ParkLead calls."""
