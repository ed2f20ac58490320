print("statelog")
