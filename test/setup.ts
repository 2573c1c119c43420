// Runs before every test file: tests always use the test environment's settings.
process.env.SLBP_ENV = 'test';
