"""The change desk: proposals offered in answer threads, decisions and the apply run reported step by step."""
