"""Registry (issue #3): the four-tier area tree, facilities, elders and tier statistics."""
