"""Azure Blob SAS URLs (azure-storage-blob, an optional extra) and the credentials that sign them."""
