explain systmd
