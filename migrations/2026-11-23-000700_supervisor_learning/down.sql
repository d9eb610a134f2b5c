DROP TABLE supervisor_learning;
