module govuk-failover/tools/crawler-key

go 1.21
