"""The Local Cancer Resources Directory: services modelled on Open Referral (HSDS 3.0), their review
dates, public "is something wrong?" reports, and their publication (`shared/site`)."""
