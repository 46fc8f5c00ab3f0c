"""The working tree: scanning folders, comparing files with the index, ignore rules, label
files, pathspecs, staging (`gas add | rm | restore --staged`) and `gas status`."""
