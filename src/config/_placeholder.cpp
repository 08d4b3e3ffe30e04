// placeholder: removed when the module's first real source lands
