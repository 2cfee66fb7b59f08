"""The notebook front end: the %presign magics, the presign form, the result widget and the history."""
