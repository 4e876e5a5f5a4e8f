// Runs before the module starts: the in-memory folder explorer_infer writes its CSVs into.
Module.preRun = (Module.preRun || []).concat([function () { FS.mkdir('/explorer'); }]);
