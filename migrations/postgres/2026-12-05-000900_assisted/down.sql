DROP TABLE case_events;
DROP TABLE support_requests;
DROP TABLE powers_of_attorney;
DROP TABLE application_files;
DROP TABLE applications;
DROP TABLE assisted_codes;
DROP TABLE staff;
